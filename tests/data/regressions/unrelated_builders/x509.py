class CertificateBuilder:
    """Unrelated to the publisher; immutable builder: every setter returns a NEW builder."""

    def __init__(self, subject: str | None = None) -> None:
        self._subject = subject

    def subject_name(self, name: str) -> "CertificateBuilder":
        return CertificateBuilder(name)

    def sign(self, key: bytes) -> bytes:
        return b"cert"
