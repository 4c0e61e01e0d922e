from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "townsquare.orgs"
    label = "orgs"
    verbose_name = "Organisations"
