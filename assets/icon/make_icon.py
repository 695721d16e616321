#!/usr/bin/env python3
"""Draws the Lamppost icon: a street lamp post with its alarm-code sign, on a night-blue tile.

Writes lamppost.svg (the source), lamppost.png (256 px) and lamppost.ico (16-256 px).
Needs Pillow (Debian: python3-pil). Run from this folder: python3 make_icon.py
"""
from PIL import Image, ImageDraw

S = 1024  # drawing size; scaled down with a good filter


def shapes():
    """(kind, args, fill) in a 1024 x 1024 box; the SVG and the PNG draw the same list."""
    return [
        ("rrect", (32, 32, 992, 992, 180), "#1d3557"),  # night-blue tile
        ("poly", [(600, 330), (840, 800), (360, 800)], "#ffe08ab0"),  # light cone (translucent)
        ("rect", (300, 180, 360, 900), "#cfd8dc"),  # pole
        ("rect", (250, 880, 410, 930), "#90a4ae"),  # base
        ("rect", (300, 180, 620, 230), "#cfd8dc"),  # arm
        ("rect", (570, 200, 620, 280), "#cfd8dc"),  # arm drop
        ("poly", [(500, 280), (690, 280), (650, 340), (540, 340)], "#eceff1"),  # lamp head
        ("rect", (540, 330, 650, 352), "#ffd54f"),  # the light
        ("rect", (220, 470, 440, 600), "#d62828"),  # alarm-code sign
        ("rect", (245, 500, 415, 520), "#ffffff"),  # sign text, line 1
        ("rect", (245, 545, 380, 565), "#ffffff"),  # sign text, line 2
    ]


def rgba(c):
    c = c.lstrip("#")
    a = int(c[6:8], 16) if len(c) == 8 else 255
    return (int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16), a)


def png():
    img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    for kind, a, fill in shapes():
        layer = Image.new("RGBA", (S, S), (0, 0, 0, 0))
        d = ImageDraw.Draw(layer)
        if kind == "rrect":
            d.rounded_rectangle(a[:4], radius=a[4], fill=rgba(fill))
        elif kind == "rect":
            d.rectangle(a, fill=rgba(fill))
        else:
            d.polygon(a, fill=rgba(fill))
        img = Image.alpha_composite(img, layer)
    return img


def svg():
    out = ['<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1024 1024" width="256" height="256">']
    for kind, a, fill in shapes():
        c = fill[:7]
        op = f' fill-opacity="{int(fill[7:9], 16) / 255:.2f}"' if len(fill) == 9 else ""
        if kind == "rrect":
            x0, y0, x1, y1, r = a
            out.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" rx="{r}" fill="{c}"{op}/>')
        elif kind == "rect":
            x0, y0, x1, y1 = a
            out.append(f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="{c}"{op}/>')
        else:
            pts = " ".join(f"{x},{y}" for x, y in a)
            out.append(f'<polygon points="{pts}" fill="{c}"{op}/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    big = png()
    big.resize((256, 256), Image.LANCZOS).save("lamppost.png", optimize=True)
    big.resize((256, 256), Image.LANCZOS).save(
        "lamppost.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]
    )
    with open("lamppost.svg", "w", encoding="utf-8") as f:
        f.write(svg())
