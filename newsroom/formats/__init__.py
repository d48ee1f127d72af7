"""The newsroom's date formats, one for every language: ISO dates in inputs (never 02/12 that
reads as 2 December to one colleague and 12 February to another), month names in text."""
