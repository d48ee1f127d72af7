from django.db import connection
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import get_object_or_404, render

from .models import Story


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return HttpResponseServerError("database unavailable", content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def story_detail(request, slug):
    story = get_object_or_404(Story.objects.published(), slug=slug)
    return render(request, "stories/story_detail.html", {"story": story})
