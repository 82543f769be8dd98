class Event:
    def __init__(self, name: str) -> None:
        self.name = name
        self.retry = 0

    def bump(self) -> None:
        self.retry += 1
