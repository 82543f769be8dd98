import requests
import urllib3
from requests.adapters import HTTPAdapter


class Consumer:
    def __init__(self, retry_limit: int = 4, retry_backoff_factor: float = 0.25) -> None:
        retry_args = {
            "total": retry_limit,
            "backoff_factor": retry_backoff_factor,
            "status_forcelist": set(range(500, 600)),
        }
        adapter = HTTPAdapter(max_retries=urllib3.Retry(**retry_args))
        self._session = requests.Session()
        self._session.mount("https://", adapter)

    def send(self, message: str) -> None:
        self._session.post("https://x.invalid/track", data={"data": message}, timeout=5)


class Mixpanel:
    def __init__(self) -> None:
        self._consumer = Consumer()

    def track(self, event: str) -> None:
        self._consumer.send(event)
