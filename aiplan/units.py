"""Quantities as a Vietnamese reader writes them (a decimal comma), said the same way everywhere:
the pages, the history, the reports and the command line."""

KB = 1024
MB = 1024 * KB
GB = 1024 * MB


def file_size(size: int) -> str:
    """28 B, 340 KB, 2,5 MB, 1,2 GB. Below a megabyte in whole kilobytes, rounded up, so that a
    file never reads as 0 KB."""
    if size < KB:
        return f"{size} B"
    if size < MB:
        return f"{-(-size // KB)} KB"
    if size < GB:
        return decimal(size / MB) + " MB"
    return decimal(size / GB) + " GB"


def decimal(value: float, places: int = 1) -> str:
    """12,4 — one decimal by default, with the comma."""
    return f"{value:.{places}f}".replace(".", ",")
