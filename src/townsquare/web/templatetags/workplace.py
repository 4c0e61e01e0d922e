from django import template

register = template.Library()


@register.filter
def split_commas(value: str) -> list[str]:
    """ "a,b,c" -> ["a", "b", "c"], for short literal choice lists in templates."""
    return value.split(",")
