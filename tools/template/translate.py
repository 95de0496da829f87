"""template.yaml as CloudFormation: the SAM transform that `sam deploy` has CloudFormation run, done here offline.

Usage: translate.py <template.yaml>  (prints the CloudFormation template as JSON)

Local code locations (CodeUri, ContentUri) become placeholder S3 URIs, as `sam package` would make them; the rest
is aws-sam-translator's own output, intrinsics and conditions untouched (resolved per parameter set in Java).
"""
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The template names AWS managed policies by ARN only: nothing to look up in IAM."""

    def load(self):
        return {}


def main(path):
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # Fn::ForEach (AWS::LanguageExtensions) expands per parameter set, which CloudFormation does before the SAM
    # transform: aside here, expanded by the resolver with the stack's parameters
    loops = {k: v for k, v in template.get("Resources", {}).items() if k.startswith("Fn::ForEach::")}
    for key in loops:
        del template["Resources"][key]
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = "s3://local-build/" + properties[key].strip("/")
    # the translator asks for a region only to name pseudo parameters; the resolver supplies its own
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    cloudformation = transform(template, {}, NoManagedPolicies())
    cloudformation["Resources"].update(loops)
    json.dump(cloudformation, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
