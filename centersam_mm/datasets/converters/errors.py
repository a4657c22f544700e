"""The one exception type that every converter raises for bad input."""
from pathlib import Path
from typing import Union


class ConversionError(Exception):
    """Bad input found while converting a benchmark; the message is one line.

    Args:
        path: the file (or folder) at fault.
        problem: what is wrong with it, without a trailing full stop.
    """

    def __init__(self, path: Union[str, Path], problem: str) -> None:
        self.path = str(path)
        self.problem = ' '.join(str(problem).split())
        super().__init__(f'{self.path}: {self.problem}')
