from typing import Optional

import urllib3


class SideClient:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = urllib3.PoolManager()

    def capture_envelope(self, envelope: bytes) -> None:
        self.http.request("POST", self.url, body=envelope)


def setup_side(url: Optional[str]) -> "Optional[SideClient]":
    return SideClient(url) if url else None
