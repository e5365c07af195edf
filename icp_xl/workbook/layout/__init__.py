"""The ICP workbook, described once: sheets, tables, named cells, formats.

Everything a host needs to build or find a part of the workbook is here as
data; :mod:`icp_xl.hosts.file.book` builds the structure from it, actions find cells
through the names and tables it declares, and ``workbook/README.md`` documents
the same contract for users. Nothing here touches a host library.

Roles: ``input`` sheets belong to the user (actions read them, and only the
explicit weight buttons and *Import accounts* write them); ``output`` sheets are
rewritten by actions; ``external`` regions are filled by other modules (charts,
optimizer) through blocks.

The contract is one namespace (``layout.SCORES_TABLE``); its parts live in modules by kind:
:mod:`.kinds`, :mod:`.live`, :mod:`.sheets`, :mod:`.tables`, :mod:`.names`, :mod:`.regions`,
:mod:`.looks`, :mod:`.outcomes`.
"""

from icp_xl.workbook.layout.kinds import *  # noqa: F403
from icp_xl.workbook.layout.live import *  # noqa: F403
from icp_xl.workbook.layout.looks import *  # noqa: F403
from icp_xl.workbook.layout.names import *  # noqa: F403
from icp_xl.workbook.layout.outcomes import *  # noqa: F403
from icp_xl.workbook.layout.regions import *  # noqa: F403
from icp_xl.workbook.layout.sheets import *  # noqa: F403
from icp_xl.workbook.layout.tables import *  # noqa: F403
