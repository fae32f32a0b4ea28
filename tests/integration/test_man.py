"""The man pages: every scdoc source in man/ was turned into a page in the
build tree, every command `lamb help` lists has its page and is not called
"not available yet" in lamb(1), and every option `lamb help COMMAND` shows
is described in that command's page."""
import glob
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import lambtest  # noqa: E402
from lambtest import run  # noqa: E402

BUILD_ROOT = os.environ.get("LAMB_BUILD_ROOT")
MAN_SRC = os.path.join(lambtest.SOURCE_ROOT, "man")


def page_text(path):
    """The page's roff source with font changes and zero-width escapes removed."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.sub(r"\\f[BIRP]|\\&", "", text)


def help_commands():
    """The command names in the overview `lamb help` prints ("local invoke" is one)."""
    r = run("help")
    assert r.returncode == 0, r.stderr
    names = []
    in_list = False
    for line in r.stdout.splitlines():
        if line.strip() == "commands:":
            in_list = True
        elif in_list:
            m = re.match(r"^  (\S+(?: \S+)*?)(?:\s{2,}|$)", line)
            if not m:
                break
            names.append(m.group(1))
    return names


@unittest.skipUnless(BUILD_ROOT, "LAMB_BUILD_ROOT is not set")
class ManPages(unittest.TestCase):
    def generated(self, name):
        return os.path.join(BUILD_ROOT, "man", name)

    def test_every_source_generated(self):
        sources = sorted(glob.glob(os.path.join(MAN_SRC, "*.scd")))
        self.assertTrue(sources)
        for src in sources:
            page = os.path.basename(src)[: -len(".scd")]
            with self.subTest(page=page):
                path = self.generated(page)
                self.assertTrue(os.path.isfile(path), f"{page} was not generated (man/meson.build)")
                text = page_text(path)
                title = page.rsplit(".", 1)
                self.assertRegex(text, r'(?m)^\.TH "%s" "%s"' % (re.escape(title[0]), title[1]))
                self.assertIn(".SH NAME", text)

    def test_required_pages(self):
        for page in ("lamb.1", "lamb-template.5"):
            with self.subTest(page=page):
                self.assertTrue(os.path.isfile(self.generated(page)), page)

    def test_every_command_has_a_page(self):
        commands = help_commands()
        self.assertIn("validate", commands)
        for cmd in commands:
            page = "lamb-%s.1" % cmd.replace(" ", "-")
            with self.subTest(command=cmd):
                self.assertTrue(os.path.isfile(self.generated(page)),
                                f"'lamb help' lists '{cmd}' but there is no man/{page}.scd")
                # lamb(1) lists it too
                self.assertIn(cmd, page_text(self.generated("lamb.1")))

    def test_available_commands_are_not_called_coming(self):
        text = page_text(self.generated("lamb.1"))
        m = re.search(r"not\s+available\s+yet", text)
        if not m:
            return
        start = m.start()
        end = text.find(".SH", start)
        coming = text[start:end if end > 0 else len(text)]
        for cmd in help_commands():
            with self.subTest(command=cmd):
                self.assertNotRegex(coming, r"(?m)^%s(\s|$)" % re.escape(cmd),
                                    f"lamb(1) lists '{cmd}' as not available yet")

    def test_help_options_are_documented(self):
        for cmd in help_commands():
            page = self.generated("lamb-%s.1" % cmd.replace(" ", "-"))
            if not os.path.isfile(page):
                continue  # test_every_command_has_a_page says so
            r = run("help", *cmd.split())
            self.assertEqual(r.returncode, 0, r.stderr)
            text = page_text(page)
            for opt in sorted(set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", r.stdout))):
                with self.subTest(command=cmd, option=opt):
                    self.assertRegex(text, r"(?<![\w-])%s(?![\w-])" % re.escape(opt),
                                     f"'lamb help {cmd}' shows {opt}; its man page does not")


class CommandGroups(unittest.TestCase):
    """'local' names a group, not a command (issue 19)."""

    def test_group_lists_its_subcommands(self):
        for args, rc in ((("local",), 2), (("help", "local"), 0), (("local", "--help"), 0)):
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, rc, r.stderr)
                out = r.stdout + r.stderr
                self.assertNotIn("unknown command", out)
                for sub in ("local invoke", "local start-api", "local start-lambda", "local generate-event"):
                    self.assertIn(sub, out)

    def test_misspelt_subcommand_gets_the_closest(self):
        for args in (("local", "invok"), ("help", "local", "invok")):
            with self.subTest(args=args):
                r = run(*args)
                self.assertEqual(r.returncode, 2)
                self.assertIn("unknown command 'local invok'", r.stderr)
                self.assertIn("did you mean 'lamb local invoke'?", r.stderr)
                self.assertIn("local start-api", r.stderr)


if __name__ == "__main__":
    lambtest.main()
