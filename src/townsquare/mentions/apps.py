from django.apps import AppConfig


class MentionsConfig(AppConfig):
    name = "townsquare.mentions"
    label = "mentions"
