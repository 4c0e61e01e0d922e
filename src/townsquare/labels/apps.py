from django.apps import AppConfig


class LabelsConfig(AppConfig):
    name = "townsquare.labels"
    label = "labels"
