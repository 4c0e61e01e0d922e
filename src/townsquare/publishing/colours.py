"""Colour contrast (WCAG 2.2 relative luminance), so campaign colours stay visible on the white calendar."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
# 1.4.11 Non-text contrast: a coloured mark next to the name needs 3:1 against the page.
MINIMUM_AGAINST_WHITE = 3.0


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(red) + 0.7152 * _channel(green) + 0.0722 * _channel(blue)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def validate_campaign_colour(colour: str) -> None:
    if not HEX.match(colour or ""):
        raise ValidationError(f"{colour!r} is not a colour like #0b5cad")
    ratio = contrast_ratio(colour, "#ffffff")
    if ratio < MINIMUM_AGAINST_WHITE:
        raise ValidationError(
            f"{colour} has a contrast of {ratio:.1f}:1 against white; pick a darker colour (at least 3:1)"
        )
