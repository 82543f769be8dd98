import requests


class BClient:
    def publish(self, event: dict) -> None:
        resp = requests.post("https://b.invalid", json=event, timeout=5)
        code = resp.status_code
        if code == 409 or code >= 500:
            pass
        elif code == 429:
            print(resp.headers.get("Retry-After"))
