"""The exception type that every converter raises for bad input."""
from pathlib import Path
from typing import List, Sequence, Union


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

    @property
    def errors(self) -> List['ConversionError']:
        """Every bad file found, one error each (here: just this one)."""
        return [self]


class BadFilesError(ConversionError):
    """Several bad files found in one pass over SRC: ``errors`` holds one ConversionError per file.

    ``path`` and ``problem`` are the first file's; the message is that file's line plus how many more
    there are (the CLI prints every line of ``errors``).
    """

    def __init__(self, errors: Sequence[ConversionError]) -> None:
        if not errors:
            raise ValueError('BadFilesError needs at least one error')
        self._errors = list(errors)
        super().__init__(errors[0].path, errors[0].problem)
        if len(self._errors) > 1:
            self.args = (f'{self.args[0]} (and {len(self._errors) - 1} more bad files)',)

    @property
    def errors(self) -> List[ConversionError]:
        return list(self._errors)
