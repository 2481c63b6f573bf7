"""Hostile files built by the tests, small on disk: zip bombs written without compressing a gigabyte."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


def bomb_zip(path: Path, members: list[tuple[str, bytes, bytes, int, bytes]]) -> Path:
    """A valid .zip whose members are `head + block * repeats + tail`, deflated.

    `block` is compressed once, ending on a full flush (the compressor forgets its window), so
    its compressed bytes can be repeated: a 1 GiB member costs a second to build and about a
    megabyte on disk. The CRC is the real one, so the archive passes `testzip`.
    """
    central = []
    with open(path, "wb") as out:
        for name, head, block, repeats, tail in members:
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
            middle = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
            last = compressor.compress(tail) + compressor.flush()
            crc = zlib.crc32(head)
            for _ in range(repeats):
                crc = zlib.crc32(block, crc)
            crc = zlib.crc32(tail, crc)
            size = len(head) + len(block) * repeats + len(tail)
            packed = len(first) + len(middle) * repeats + len(last)
            offset, encoded = out.tell(), name.encode()
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, packed, size, len(encoded), 0) + encoded)
            out.write(first)
            for _ in range(repeats):
                out.write(middle)
            out.write(last)
            central.append(
                struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, packed, size, len(encoded), 0, 0, 0, 0, 0, offset)
                + encoded
            )
        start, directory = out.tell(), b"".join(central)
        out.write(directory + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), start, 0))
    return path


GIB_LINE = (1 << 20, 1024)  # a block of 1 MiB repeated 1,024 times
