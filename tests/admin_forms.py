"""Read the admin's change form as a browser would submit it, so tests post exactly the
fields the page has (hidden version fields and management forms included)."""

from html.parser import HTMLParser


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][-1] += (
                data.lstrip("\n") if not self.data[self._textarea][-1] else data
            )


def change_form_data(html: str) -> dict[str, list[str] | str]:
    parser = _FormParser()
    parser.feed(html)
    data = {
        k: (v if len(v) != 1 else v[0])
        for k, v in parser.data.items()
        if k != "csrfmiddlewaretoken"
    }
    data.pop("_popup", None)
    return data
