"""Signed register encodings: Feetech sign-magnitude and Dynamixel two's complement."""

from __future__ import annotations

from .model import Register


def encode_sign_magnitude(value: int, sign_bit: int) -> int:
    """Encode ``value`` with its sign in ``sign_bit`` and its magnitude below it (Feetech)."""
    magnitude = abs(int(value))
    if magnitude >= 1 << sign_bit:
        raise ValueError(f"magnitude {magnitude} does not fit below sign bit {sign_bit}")
    return ((1 << sign_bit) | magnitude) if value < 0 else magnitude


def decode_sign_magnitude(raw: int, sign_bit: int) -> int:
    magnitude = raw & ((1 << sign_bit) - 1)
    return -magnitude if raw & (1 << sign_bit) else magnitude


def encode_twos_complement(value: int, size: int) -> int:
    """Encode ``value`` as a ``size``-byte two's-complement word (Dynamixel)."""
    bits = 8 * size
    value = int(value)
    if not -(1 << (bits - 1)) <= value < (1 << (bits - 1)):
        raise ValueError(f"{value} does not fit in {size} signed bytes")
    return value & ((1 << bits) - 1)


def decode_twos_complement(raw: int, size: int) -> int:
    bits = 8 * size
    return raw - (1 << bits) if raw & (1 << (bits - 1)) else raw


def encode(register: Register, value: int) -> int:
    """Turn a signed engineering value into the unsigned word written on the wire."""
    if register.sign_bit is not None:
        return encode_sign_magnitude(value, register.sign_bit)
    if register.signed:
        return encode_twos_complement(value, register.size)
    value = int(value)
    if not 0 <= value < 1 << (8 * register.size):
        raise ValueError(f"{value} does not fit in {register.size} unsigned bytes")
    return value


def decode(register: Register, raw: int) -> int:
    """Turn the unsigned word read from the wire into its signed value."""
    if register.sign_bit is not None:
        return decode_sign_magnitude(raw, register.sign_bit)
    if register.signed:
        return decode_twos_complement(raw, register.size)
    return raw
