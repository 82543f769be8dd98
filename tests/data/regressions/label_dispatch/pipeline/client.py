from pipeline.config import Config
from pipeline.events import Event
from pipeline.plugins import DestinationPlugin, EnrichPlugin, Plugin


class Timeline:
    def __init__(self):
        self.plugins = {"before": [], "destination": []}

    def add(self, kind, plugin):
        self.plugins[kind].append(plugin)

    def process(self, event):
        for plugin in self.plugins["destination"]:
            plugin.execute(event)


class Analytics:
    def __init__(self, configuration=None):
        self.configuration = configuration or Config()
        self.timeline = Timeline()
        self.add(DestinationPlugin())
        self.add(EnrichPlugin())

    def add(self, plugin: Plugin):
        self.timeline.add("destination", plugin)
        plugin.setup(self)
        return self

    def track(self, event: Event):
        self.timeline.process(event)
