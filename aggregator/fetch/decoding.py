"""Content-Encoding decoders that never produce more than a small chunk per step.

httpx's own decoders inflate a whole network chunk at once: 64 KiB of brotli can become
gigabytes before any cap gets to look (a "compression bomb"). These decoders hand back about
``CHUNK`` bytes at a time (zlib exactly, brotli within one buffer step of it), so the byte cap in
``fetch`` bounds memory after decompression too.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

import brotli

from aggregator.errors import ContentTypeError, FetchError

__all__ = ["CHUNK", "Decoder", "make_decoder"]

CHUNK = 64 * 1024


class Decoder(Protocol):
    def decode(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class IdentityDecoder:
    def decode(self, data: bytes) -> Iterator[bytes]:
        yield data

    def flush(self) -> Iterator[bytes]:
        yield from ()


class ZlibDecoder:
    """gzip (RFC 1952) and deflate (RFC 9110 §8.4.1.2: zlib, RFC 1950; raw RFC 1951 tolerated)."""

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        # 32 + MAX_WBITS: accept a gzip or zlib header; deflate falls back to raw on first error.
        self._wbits = 32 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        # Bytes seen before the first output, replayed if "deflate" turns out to be raw.
        self._prefix: bytes | None = b"" if self._wbits == zlib.MAX_WBITS else None

    def decode(self, data: bytes) -> Iterator[bytes]:
        if self._prefix is not None:
            self._prefix += data
        try:
            yield from self._inflate(data)
        except zlib.error as exc:
            if self._prefix is None:
                raise FetchError(f"corrupt {self._encoding} body: {exc}") from exc
            replay, self._prefix = self._prefix, None
            self._wbits = -zlib.MAX_WBITS
            self._inflater = zlib.decompressobj(self._wbits)
            yield from self.decode(replay)

    def _inflate(self, data: bytes) -> Iterator[bytes]:
        while data:
            out = self._inflater.decompress(data, CHUNK)
            if out or (self._prefix is not None and len(self._prefix) > CHUNK):
                self._prefix = None  # committed to the zlib format
            yield out
            data = self._inflater.unconsumed_tail
            if self._inflater.eof and self._inflater.unused_data:
                # Concatenated gzip members (RFC 1952 §2.2) form one body.
                data = self._inflater.unused_data
                self._inflater = zlib.decompressobj(self._wbits)

    def flush(self) -> Iterator[bytes]:
        yield self._inflater.flush()


class BrotliDecoder:
    """br (RFC 7932), drained with an output limit so one step stays small."""

    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def decode(self, data: bytes) -> Iterator[bytes]:
        try:
            out = self._decompressor.process(data, output_buffer_limit=CHUNK)
            # Pending output stays inside the decompressor (even when it says it can take more
            # input); drain it with empty input until a step produces nothing.
            while out:
                yield out
                out = self._decompressor.process(b"", output_buffer_limit=CHUNK)
        except brotli.error as exc:
            raise FetchError(f"corrupt br body: {exc}") from exc

    def flush(self) -> Iterator[bytes]:
        yield from ()


class ChainDecoder:
    """Several codings, applied in order, undone in reverse (RFC 9110 §8.4)."""

    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders

    def decode(self, data: bytes) -> Iterator[bytes]:
        yield from self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._decoders):
            yield data
            return
        for piece in self._decoders[index].decode(data):
            yield from self._through(index + 1, piece)

    def flush(self) -> Iterator[bytes]:
        for index, decoder in enumerate(self._decoders):
            for piece in decoder.flush():
                yield from self._through(index + 1, piece)


def make_decoder(content_encoding: str | None) -> Decoder:
    """The decoder for a Content-Encoding header value (identity when absent)."""
    names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
    decoders = [_one(name) for name in reversed(names) if name != "identity"]
    if not decoders:
        return IdentityDecoder()
    return decoders[0] if len(decoders) == 1 else ChainDecoder(decoders)


def _one(name: str) -> Decoder:
    if name in ("gzip", "x-gzip", "deflate"):
        return ZlibDecoder(name)
    if name == "br":
        return BrotliDecoder()
    raise ContentTypeError(f"unsupported Content-Encoding {name!r}")
