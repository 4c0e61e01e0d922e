from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "townsquare.publishing"
    label = "publishing"
    verbose_name = "Publishing"
