"""Older and other office formats (.doc/.wps/.rtf/.odt, .xls/.et/.ods) turned into .docx or .xlsx by
LibreOffice, headless, with a private profile (so it neither needs nor touches a user's) and a time
limit; the result is then read as any .docx or .xlsx."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from notices.document import NoticeError

TIMEOUT_SECONDS = 120
INSTALL_HINT = ("需要安装 LibreOffice 才能读取 {ext} 文件(apt-get install libreoffice-writer-nogui "
                "libreoffice-calc-nogui),或用 WPS / Word 另存为 .docx、.xlsx 后再导入 / "
                "install LibreOffice (apt-get install libreoffice-writer-nogui libreoffice-calc-nogui) "
                "to read {ext} files, or save the file as .docx / .xlsx in WPS or Word and import that")


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(name: str, data: bytes, suffix: str, target: str) -> bytes:
    """`data` (a file named `name`, of type `suffix` such as ".doc") as `target` ("docx"/"xlsx") bytes."""
    program = soffice()
    if program is None:
        raise NoticeError(f"无法读取 {name}:" + INSTALL_HINT.format(ext=suffix))
    with tempfile.TemporaryDirectory(prefix="duban-office-") as tmp:
        source = Path(tmp) / f"notice{suffix}"  # a plain name: LibreOffice names its output after it
        source.write_bytes(data)
        profile = (Path(tmp) / "profile").as_uri()
        command = [program, "--headless", "--norestore", "--nologo", "--nolockcheck",
                   f"-env:UserInstallation={profile}", "--convert-to", target, "--outdir", tmp, str(source)]
        problem = run(command, name)
        result = Path(tmp) / f"notice.{target}"
        if not result.exists():
            raise NoticeError(f"无法读取 {name}:LibreOffice 未能转换此文件,文件可能已损坏或不是 {suffix} 格式"
                              f"({problem});请用 WPS 或 Word 打开后另存为 .docx 再导入 / cannot read {name}: "
                              f"LibreOffice could not convert it, it may be damaged or not really {suffix} "
                              f"({problem}); open it in WPS or Word, save as .docx and import again")
        return result.read_bytes()


def run(command: list[str], name: str) -> str:
    """Runs LibreOffice in its own process group (soffice starts soffice.bin), so a hung
    conversion is ended whole; returns what it said on stderr."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                               env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"})
    try:
        _, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise NoticeError(f"无法读取 {name}:LibreOffice 转换超过 {TIMEOUT_SECONDS} 秒未完成;请用 WPS 或 Word "
                          f"另存为 .docx 再导入 / cannot read {name}: LibreOffice did not finish converting it "
                          f"within {TIMEOUT_SECONDS} s; save it as .docx in WPS or Word and import that") from None
    said = stderr.decode("utf-8", errors="replace").strip().splitlines()
    return said[-1] if said else f"exit {process.returncode}"
