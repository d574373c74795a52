"""Helpers for exports: a response's bytes whether streamed or not, and an XLSX asked for on a
page, made by the background job and downloaded from its progress page as a person would."""

import re

import pytest
from bs4 import BeautifulSoup

from tests.workers import private_file_storages


@pytest.fixture
def private_files(settings, tmp_path, monkeypatch):
    """Private files in a temporary folder (the one private storage object every file field
    shares, moved there), so exports made by tests do not pile up in the project."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    for storage in private_file_storages():
        monkeypatch.setattr(storage, "_location", str(settings.PRIVATE_MEDIA_ROOT))
        for cached in ("base_location", "location"):
            monkeypatch.delitem(storage.__dict__, cached, raising=False)
    return settings.PRIVATE_MEDIA_ROOT


def body(response) -> bytes:
    """The whole body; reading a streamed response runs the code that writes it."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def report_page_link(page) -> str | None:
    """The download link on a report's progress page, if it shows one."""
    soup = BeautifulSoup(page.content.decode(), "html.parser")
    link = soup.find("a", string=re.compile(r"^\s*Download"))
    return link["href"] if link else None


def xlsx_download(client, url, params, capture_on_commit):
    """Ask for the XLSX on `url` (the job runs when the request's transaction commits, inline in
    tests), follow the redirect to the progress page and download the file it links to."""
    with capture_on_commit(execute=True):
        asked = client.post(url, {**params, "export": "xlsx"})
    assert asked.status_code == 302, asked.status_code
    page = client.get(asked.url)
    assert page.status_code == 200
    link = report_page_link(page)
    assert link, page.content.decode()
    return client.get(link)
