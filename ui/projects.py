"""The project panel of the first page: the open project (rename, start a new one, delete) and every saved
project to reopen. The projects themselves live in `synth.projects`; the session reads them through ui.state."""

from __future__ import annotations

import streamlit as st

from synth import projects
from synth.errors import SynthError
from ui import state


def _when(iso: str) -> str:
    return iso.replace("T", " ")[:16] + " UTC"


def project_panel() -> None:
    """Draw the panel; every change reruns the app so the sidebar and the page show the new project."""
    current = state.get_project()
    saved = projects.list_projects()
    with st.expander(f"Project: {current.name}" if current else "Projects", expanded=current is None and bool(saved),
                     icon=":material/folder_open:"):
        st.caption("Your work is saved as you go: the posts, the topics, the runs you compare and the page "
                   "settings. The page address names the project, so a reload or a restarted server brings it back.")
        if current is not None:
            rename, new, delete = st.columns([3, 1, 1], vertical_alignment="bottom")
            # The box is keyed by project: another project's name never lingers in it.
            name = rename.text_input("Name", current.name, key=f"project_name_{current.project_id}", max_chars=80)
            if name != current.name:
                try:
                    projects.rename_project(current.project_id, name)
                    st.rerun()
                except SynthError as error:
                    st.error(str(error), icon=":material/error:")
            if new.button("New project", key="project_new_button", icon=":material/add:",
                          help="Start afresh; this project stays in the list below."):
                state.close_project()
                st.rerun()
            if delete.button("Delete", key="project_delete_button", icon=":material/delete:",
                             help="Delete this project's saved posts and settings (its runs stay in runs/)."):
                st.session_state["project_confirm_delete"] = current.project_id
            if st.session_state.get("project_confirm_delete") == current.project_id:
                st.warning("Delete this project for good? Its posts and settings cannot be brought back.",
                           icon=":material/warning:")
                yes, no = st.columns(2)
                if yes.button("Yes, delete it", key="project_delete_yes_button", type="primary"):
                    projects.delete_project(current.project_id)
                    state.close_project()
                    st.session_state["project_confirm_delete"] = None
                    st.rerun()
                if no.button("Keep it", key="project_delete_no_button"):
                    st.session_state["project_confirm_delete"] = None
                    st.rerun()
        others = [project for project in saved if current is None or project.project_id != current.project_id]
        if not others:
            st.caption("No other saved project.")
            return
        labels = {project.project_id: f"{project.name} · changed {_when(project.updated)}" for project in others}
        pick, open_column = st.columns([4, 1], vertical_alignment="bottom")
        chosen = pick.selectbox("Saved projects", list(labels), format_func=labels.get, key="project_pick")
        if open_column.button("Open", key="project_open_button", type="primary") and chosen:
            try:
                state.open_into_session(chosen)
            except SynthError as error:
                st.error(str(error), icon=":material/error:")
            else:
                st.rerun()
