"""The papermill engine of our runs: nbclient's, saving the running notebook less often.

papermill writes the whole notebook at the start and at the end of every cell; with figures
inside, that is ~8 ms a save and ~0.2 s a province brief. Here a cell boundary saves only when
:data:`SAVE_EVERY_S` have passed since the last save, and the end of the run always saves, on
success, on a failing cell, on a timeout and on a kernel that died alike (papermill ends every
run in ``notebook_complete``), so a failed run still keeps its partial notebook. Only a worker
killed outright loses up to :data:`SAVE_EVERY_S` of outputs from the partial file.
"""
from __future__ import annotations

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

NAME = "khuyencong"
SAVE_EVERY_S = 10.0


class SparseSaves(NotebookExecutionManager):
    """papermill's run bookkeeping with the saves of :mod:`khuyencong.runner.engine`."""

    _finishing = False

    def save(self, **kwargs):
        if self._finishing or (self.now() - self.last_save_time).total_seconds() >= SAVE_EVERY_S:
            super().save(**kwargs)

    def notebook_complete(self, **kwargs):
        self._finishing = True
        super().notebook_complete(**kwargs)


class SparseSavingEngine(NBClientEngine):
    """nbclient execution with :class:`SparseSaves` bookkeeping."""

    @classmethod
    def execute_managed_notebook(cls, nb_man, kernel_name, **kwargs):
        # papermill builds its own manager before calling here (after one save at the start);
        # from here on it keeps its state and saves as SparseSaves
        nb_man.__class__ = SparseSaves
        return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)


#: What the engine relies on in papermill (it swaps the class of papermill's own run bookkeeping).
NEEDED = ((NotebookExecutionManager, "save"), (NotebookExecutionManager, "notebook_complete"),
          (NotebookExecutionManager, "now"), (NBClientEngine, "execute_managed_notebook"))


papermill_engines.register(NAME, SparseSavingEngine)
