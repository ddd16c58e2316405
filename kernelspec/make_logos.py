"""Draws the Koan logo (an ensō-like ring around a dot) as 32x32 and 64x64 PNGs.

Run: python3 kernelspec/make_logos.py  (standard library only; writes beside this file)
"""
import math
import os
import struct
import zlib


def png(path, size):
    rows = []
    c = (size - 1) / 2
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            # 4x4 supersampling for smooth edges
            cover_ring = cover_dot = 0
            for sy in range(4):
                for sx in range(4):
                    px, py = x + (sx + 0.5) / 4 - 0.5, y + (sy + 0.5) / 4 - 0.5
                    r = math.hypot(px - c, py - c) / (size / 2)
                    ang = math.atan2(py - c, px - c)
                    gap = -0.9 < ang < -0.35  # the open brush stroke of an ensō
                    if 0.72 < r < 0.95 and not gap:
                        cover_ring += 1
                    if r < 0.22:
                        cover_dot += 1
            a_ring, a_dot = cover_ring / 16, cover_dot / 16
            if a_dot > 0:
                row += bytes((240, 81, 56, int(255 * a_dot)))  # Swift orange
            else:
                row += bytes((40, 44, 52, int(255 * a_ring)))
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    for s in (32, 64):
        png(os.path.join(here, f"logo-{s}x{s}.png"), s)
