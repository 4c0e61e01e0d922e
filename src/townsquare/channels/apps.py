from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "townsquare.channels"
    label = "channels"
