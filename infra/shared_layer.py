"""The shared Lambda layer: our package plus its pinned pure-Python dependencies, built without Docker."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

LAYER_DIR = Path(__file__).resolve().parent.parent / "layers"


@jsii.implements(ILocalBundling)
class PipInstallLocally:
    """Installs layers/requirements.txt for the target runtime with the local pip (no Docker on build hosts).

    The dependencies are pure Python wheels, so ``--platform``/``--python-version`` make the same build valid
    for the Lambda runtime's interpreter and either architecture.
    """

    def __init__(self, python_version: str) -> None:
        self.python_version = python_version

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_: object) -> bool:
        target = Path(output_dir) / "python"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--requirement",
                str(LAYER_DIR / "requirements.txt"),
                "--target",
                str(target),
                "--python-version",
                self.python_version,
                "--only-binary=:all:",
                "--implementation",
                "cp",
                "--platform",
                "manylinux2014_aarch64",
                "--no-compile",
            ],
            check=True,
        )
        shutil.copytree(
            LAYER_DIR / "python", target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        return True


class SharedLayer(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, runtime: lambda_.Runtime) -> None:
        super().__init__(scope, construct_id)
        python_version = runtime.name.removeprefix("python")
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            description="model_governance package, aws-lambda-powertools and a pinned boto3",
            # pure Python: the data-quality monitor (python3.13, infra/data_quality.py) uses it too
            compatible_runtimes=[runtime, lambda_.Runtime.PYTHON_3_13],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            code=lambda_.Code.from_asset(
                str(LAYER_DIR),
                asset_hash_type=AssetHashType.SOURCE,
                exclude=["**/__pycache__", "**/*.pyc"],
                bundling=BundlingOptions(
                    image=runtime.bundling_image,
                    local=PipInstallLocally(python_version),
                    command=[
                        "bash",
                        "-c",
                        "pip install -r requirements.txt -t /asset-output/python && cp -r python/* /asset-output/python/",
                    ],
                ),
            ),
        )
