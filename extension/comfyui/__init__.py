"""comfy-multi: a frontend-only ComfyUI custom node.

It ships the web extension that sends Run to the shared comfy-multi queue and
brings progress, previews and outputs back into the native UI. It defines no
nodes; without a comfy-multi server in front of this ComfyUI it stays inert.
"""

WEB_DIRECTORY = "./js"
NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}

__all__ = ["WEB_DIRECTORY", "NODE_CLASS_MAPPINGS", "NODE_DISPLAY_NAME_MAPPINGS"]
