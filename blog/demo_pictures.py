"""Featured pictures for the demo articles, drawn with Pillow at seed time (no image files in the repository)."""

import io
import random

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 1600, 900


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def draw_demo_picture(spec: dict, seed: str) -> bytes:
    """A 1600 × 900 JPEG: a diagonal gradient between two colours under translucent shapes.

    The same spec and seed always give the same bytes, so seeding twice finds the picture already stored.
    """
    start, end = _rgb(spec["from"]), _rgb(spec["to"])
    # A diagonal ramp: a horizontal gradient turned 45 degrees and cropped to the frame.
    ramp = Image.linear_gradient("L").rotate(45, resample=Image.Resampling.BICUBIC, expand=True)
    inset = ramp.width // 4
    mask = ramp.crop((inset, inset, ramp.width - inset, ramp.height - inset)).resize((WIDTH, HEIGHT))
    image = Image.composite(Image.new("RGB", (WIDTH, HEIGHT), end), Image.new("RGB", (WIDTH, HEIGHT), start), mask)
    overlay = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    rng = random.Random(seed)
    accent = _rgb(spec["accent"])
    for n in range(spec.get("count", 7)):
        alpha = rng.randint(60, 150)
        colour = (*accent, alpha) if n % 2 == 0 else (255, 255, 255, alpha // 2)
        x, y, size = rng.randint(0, WIDTH), rng.randint(0, HEIGHT), rng.randint(90, 420)
        if spec["shapes"] == "circles":
            draw.ellipse((x - size, y - size, x + size, y + size), fill=colour)
        elif spec["shapes"] == "bands":
            draw.polygon([(x - size, 0), (x, 0), (x + size, HEIGHT), (x, HEIGHT)], fill=colour)
        elif spec["shapes"] == "triangles":
            draw.polygon([(x, y - size), (x + size, y + size // 2), (x - size, y + size // 2)], fill=colour)
        else:  # "squares"
            draw.rounded_rectangle(
                (x - size // 2, y - size // 2, x + size // 2, y + size // 2), radius=size // 8, fill=colour
            )
    picture = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=88)
    return out.getvalue()
