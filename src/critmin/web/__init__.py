"""Server-rendered dashboard pages (Jinja2); every page has a JSON twin."""
