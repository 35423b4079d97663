"""The accent colour as a stylesheet: a light-scheme and a dark-scheme shade, each readable as link text.

The CSP allows no inline style, so the colour the owner picks reaches pages as /theme.css, linked after
site.css: `--accent` (links, focus rings, primary buttons), `--accent-strong` (hover) and `--on-accent`
(text on an accent background), for the light scheme and again inside `prefers-color-scheme: dark`.
"""

# The shades must read at 4.5:1 (WCAG AA for body text) against the lightest and the darkest backgrounds
# the themes put text on: the soft grey of code and table heads, and a dark scheme's raised surfaces.
MIN_CONTRAST = 4.5
LIGHT_BACKGROUND = (0xF6, 0xF8, 0xFA)
DARK_BACKGROUND = (0x2D, 0x33, 0x3B)
BLACK, WHITE = (0, 0, 0), (255, 255, 255)

RGB = tuple[int, int, int]


def parse(colour: str) -> RGB:
    """#rgb or #rrggbb as three 0-255 numbers."""
    digits = colour.strip().lstrip("#")
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def hex_of(rgb: RGB) -> str:
    return "#" + "".join(f"{channel:02x}" for channel in rgb)


def luminance(rgb: RGB) -> float:
    """WCAG relative luminance."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    lighter, darker = sorted((luminance(a), luminance(b)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def mix(rgb: RGB, toward: RGB, amount: float) -> RGB:
    r, g, b = (round(c + (t - c) * amount) for c, t in zip(rgb, toward, strict=True))
    return (r, g, b)


def readable_on(rgb: RGB, background: RGB, toward: RGB) -> RGB:
    """The colour itself when it reads on the background, else the least step toward black (or white) that does."""
    for step in range(0, 101, 2):
        candidate = mix(rgb, toward, step / 100)
        if contrast(candidate, background) >= MIN_CONTRAST:
            return candidate
    return toward


def shades(colour: str) -> dict[str, dict[str, str]]:
    """The custom properties for each scheme."""
    rgb = parse(colour)
    light = readable_on(rgb, LIGHT_BACKGROUND, BLACK)
    dark = readable_on(rgb, DARK_BACKGROUND, WHITE)
    return {
        "light": {
            "--accent": hex_of(light),
            "--accent-strong": hex_of(mix(light, BLACK, 0.25)),
            "--accent-dark": hex_of(mix(light, BLACK, 0.25)),  # site.css's name for the hover shade
            # Light-scheme shades read at 4.5:1 on near-white, so white text reads on them too.
            "--on-accent": hex_of(WHITE),
        },
        "dark": {
            "--accent": hex_of(dark),
            "--accent-strong": hex_of(mix(dark, WHITE, 0.25)),
            "--accent-dark": hex_of(mix(dark, WHITE, 0.25)),
            "--on-accent": hex_of(BLACK),
        },
    }


def stylesheet(colour: str) -> str:
    def block(values: dict[str, str]) -> str:
        return "".join(f"  {name}: {value};\n" for name, value in values.items())

    both = shades(colour)
    return (
        f"/* The site's accent colour ({colour}), set on /admin/settings. */\n"
        f":root {{\n{block(both['light'])}}}\n"
        f"@media (prefers-color-scheme: dark) {{\n  :root {{\n{block(both['dark']).replace('  ', '    ')}  }}\n}}\n"
    )
