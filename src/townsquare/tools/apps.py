from django.apps import AppConfig


class ToolsConfig(AppConfig):
    name = "townsquare.tools"
    label = "tools"
