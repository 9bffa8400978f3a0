"""A loopback copy of the fixture sites over HTTPS (a test CA), plus a site of faults, and a
configuration file that points aggregator at them the way an operator would."""

from __future__ import annotations

import json
import re
import shutil
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from tests.loopback import FIXTURE_SITES, LoopbackServer
from tests.support import article_expectations

FAULT_HOST = "faults.example"
# Each fault the daemon must survive, as an article link in the fault site's feed.
FAULT_PATHS = (
    "/_fault/500",
    "/_fault/429?retry_after=1",
    "/_fault/slow?delay=5",
    "/_fault/drop",
    "/_fault/huge?mb=60",
    "/_fault/gzip-bomb",
    "/_fault/binary",
    "/_fault/wrong-charset",
    "/_fault/redirect-loop",
    "/_fault/robots-disallowed",
    "/missing-page.html",
)


@dataclass(frozen=True)
class TlsSite:
    server: LoopbackServer
    ca_file: Path
    hosts: tuple[str, ...]

    def config(
        self,
        path: Path,
        *,
        faults: bool = False,
        delay: float = 0.0,
        workers: int = 1,
        discovery: str = "feeds",
        schedule: dict[str, float] | None = None,
    ) -> Path:
        """Write an operator configuration naming every fixture outlet as a source.

        ``discovery``: "feeds" lists each feed, "sitemaps" each sitemap, "homepage" neither
        (feeds are then autodiscovered from the homepage).
        """
        resolve = ", ".join(f'"{host}" = "127.0.0.1:{self.server.port}"' for host in self.hosts)
        lines = [
            "[fetch]",
            'allow_private = ["127.0.0.1/32"]',
            f"per_host_delay = {delay}",
            f"max_crawl_delay = {delay}",
            "timeout = 2",
            "connect_timeout = 1",
            "retries = 1",
            f"ca_file = {json.dumps(str(self.ca_file))}",
            f"resolve = {{ {resolve} }}",
            "[schedule]",
            f"workers = {workers}",
            *(f"{key} = {value}" for key, value in (schedule or {}).items()),
        ]
        for host in self.hosts:
            if host == FAULT_HOST and not faults:
                continue
            lines += ["[[sources]]", f'name = "{host}"', f'homepage = "https://{host}/"']
            if discovery == "feeds" or host == FAULT_HOST:
                lines.append(f'feeds = ["https://{host}/feed.xml"]')
            elif discovery == "sitemaps":
                lines.append(f'sitemaps = ["https://{host}/sitemap.xml"]')
            lines.append('interval = "1h"')
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path


def _fault_site(root: Path) -> None:
    site = root / FAULT_HOST
    site.mkdir()
    items = "".join(
        f"<item><title>fault {i}</title><link>https://{FAULT_HOST}{p.replace('&', '&amp;')}</link>"
        f"</item>"
        for i, p in enumerate(FAULT_PATHS)
    )
    site.joinpath("feed.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>faults</title>{items}'
        "</channel></rss>",
        encoding="utf-8",
    )


def _serve(root: Path) -> Iterator[TlsSite]:
    hosts = tuple(sorted(p.name for p in root.iterdir()))
    authority = trustme.CA()
    certificate = authority.issue_cert(*hosts)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca_file = root.parent / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    server = LoopbackServer(root)
    server.serve_tls(context)
    with server:
        yield TlsSite(server=server, ca_file=ca_file, hosts=hosts)


@pytest.fixture(scope="session")
def tls_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsSite]:
    root = tmp_path_factory.mktemp("sites")
    for site in sorted(FIXTURE_SITES.iterdir()):
        if site.is_dir():
            (root / site.name).symlink_to(site, target_is_directory=True)
    _fault_site(root)
    yield from _serve(root)


_LD_JSON = re.compile(
    r'(<script[^>]*type="application/ld\+json"[^>]*>)(.*?)(</script>)', re.IGNORECASE | re.DOTALL
)
_DATE_META = re.compile(r"<meta[^>]*(?:date|published|modified|time)[^>]*>", re.IGNORECASE)
_TIME = re.compile(r"<time\b.*?</time>", re.IGNORECASE | re.DOTALL)


def _undated(value: object) -> object:
    if isinstance(value, dict):
        return {k: _undated(v) for k, v in value.items() if not k.lower().startswith("date")}
    if isinstance(value, list):
        return [_undated(v) for v in value]
    return value


def strip_dates(html: str) -> str:
    """``html`` without the dates it declares: JSON-LD date fields, date metas, <time>."""

    def ld(match: re.Match[str]) -> str:
        data = _undated(json.loads(match[2]))
        return match[1] + json.dumps(data, ensure_ascii=False) + match[3]

    return _TIME.sub("", _DATE_META.sub("", _LD_JSON.sub(ld, html)))


@pytest.fixture(scope="session")
def half_undated_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsSite]:
    """A copy of the fixture sites in which every second article page declares no date."""
    root = tmp_path_factory.mktemp("undated") / "sites"
    shutil.copytree(FIXTURE_SITES, root)
    for page, _spec in article_expectations(root)[::2]:
        text = page.read_text(encoding="utf-8", errors="surrogateescape")
        page.write_text(strip_dates(text), encoding="utf-8", errors="surrogateescape")
    yield from _serve(root)
