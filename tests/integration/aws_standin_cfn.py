"""The CloudFormation part of the AWS stand-in (see aws_standin.py): not
written yet; every action answers InvalidAction."""
import urllib.parse

from aws_standin import AwsError

XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"


def action_name(req):
    form = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"))
    return (form.get("Action") or [req.param("Action", "POST")])[0]


def handle(standin, req, request_id):
    req.action = action_name(req)
    raise AwsError(400, "InvalidAction", f"The action {req.action} is not valid for this web service.")


def find_stack(standin, name_or_id):
    return None
