from pipeline.storage import MemoryProvider, StorageProvider


class Config:
    def __init__(self, callback=None, provider=None):
        self.callback = callback
        self.provider: StorageProvider = provider or MemoryProvider()

    def get_storage(self):
        return self.provider.get_storage()
