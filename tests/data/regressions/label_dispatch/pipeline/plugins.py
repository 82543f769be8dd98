import abc

from pipeline.worker import Workers


class Plugin(abc.ABC):
    def setup(self, client):
        pass

    @abc.abstractmethod
    def execute(self, event):
        pass


class EnrichPlugin(Plugin):
    def execute(self, event):
        return event


class DestinationPlugin(Plugin):
    def __init__(self):
        self.workers = Workers()
        self.storage = None

    def setup(self, client):
        self.storage = client.configuration.get_storage()
        self.workers.setup(client.configuration, self.storage)
        self.storage.setup(self.workers)

    def execute(self, event):
        self.storage.push(event)
