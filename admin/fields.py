"""A record's form written in Python: the markup of Flask-Admin's lib.html render_form, and widget attributes.

Flask-Admin writes every field through a Jinja macro, and WTForms writes every attribute through Markup.format:
on a personal file's form the two were a third of the page's time (issue 22). The markup here is the macro's
(classes, labels, errors, descriptions); views with form rules still go through the macro."""
from flask import json, request
from flask_admin._compat import as_unicode
from flask_admin.babel import gettext
from flask_admin.helpers import get_url, is_field_error, is_required_form_field
from flask_admin.model.widgets import AjaxSelect2Widget
from markupsafe import Markup, escape
from wtforms.widgets.core import Input, clean_key


def html_params(**kwargs):
    """WTForms' html_params (sorted attributes, `True` bare, `False` left out, values escaped), without
    Markup.format for each attribute."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            params.append(key)
        elif value is not False:
            params.append(f'{escape(key)}="{escape(value)}"')
    return Markup(" ".join(params))


def _input_type(field):
    return getattr(field.widget, "input_type", None)


def render_field(field, kwargs):
    """lib.html's render_field(form, field, kwargs) without a caller."""
    # A copy: the macro changed the view's form_widget_args in place (a field once invalid kept «is-invalid»).
    kwargs = dict(kwargs)
    direct_error = is_field_error(field.errors)
    prepend, append = kwargs.pop("prepend", None), kwargs.pop("append", None)
    input_type = _input_type(field)
    checkbox = input_type == "checkbox"
    mark = '<strong class="text-danger">&#42;</strong>' if is_required_form_field(field) else "&nbsp;"
    html = [f'<div class="form-group {escape(kwargs.get("column_class", ""))}">\n'
            f'<label for="{escape(field.id)}" class="col-form-label {"d-block mb-0" if checkbox else ""}">'
            f"{escape(field.label.text)}\n{mark}\n</label>\n"]
    if prepend or append:
        html.append('<div class="input-group">')
        if prepend:
            html.append(f'<div class="input-group-prepend">{escape(prepend)}</div>')
    kwargs.setdefault("class", "" if checkbox else "form-control-file" if input_type == "file" else "form-control")
    if direct_error:
        kwargs["class"] = f"{kwargs['class']} is-invalid"
    html.append(str(field(**kwargs)))
    if append:
        html.append(f'<div class="input-group-append">{escape(append)}</div>')
    margin = "mt-0" if checkbox else ""
    if direct_error:
        errors = "".join(f"<li>{escape(e)}</li>" for e in field.errors if isinstance(e, str))
        html.append(f'\n<div class="invalid-feedback"><ul class="form-text text-danger {margin}">{errors}</ul></div>')
    elif field.description:
        html.append(f'\n<small class="form-text text-muted {margin}">\n{field.description}\n</small>')
    if prepend or append:
        html.append("</div>")
    html.append("\n</div>\n")
    return "".join(html)


def render_form(admin_view, form, cancel_url, form_opts=None):
    """lib.html's render_form(form, cancel_url, extra(), form_opts) for a form without form rules."""
    widget_args = form_opts.widget_args if form_opts is not None else {}
    html = ['<form action="" method="POST" role="form" class="admin-form" enctype="multipart/form-data">\n'
            "<fieldset>\n", str(form.hidden_tag()), "\n"]
    for field in form:
        if _input_type(field) != "hidden":
            html.append(render_field(field, widget_args.get(field.short_name, {})))
    html.append('<hr>\n<div class="form-group">\n<div class="col-md-offset-2 col-md-10 submit-row">\n'
                f'<input type="submit" class="btn btn-primary" value="{escape(gettext("Save"))}" />\n')
    if admin_view.can_create:
        html.append('<input name="_add_another" type="submit" class="btn btn-secondary" '
                    f'value="{escape(gettext("Save and Add Another"))}" />\n')
    if admin_view.can_edit:
        html.append('<input name="_continue_editing" type="submit" class="btn btn-secondary" '
                    f'value="{escape(gettext("Save and Continue Editing"))}" />\n')
    if cancel_url:
        html.append(f'<a href="{escape(cancel_url)}" class="btn btn-danger" role="button">{escape(gettext("Cancel"))}'
                    "</a>\n")
    html.append("</div>\n</div>\n</fieldset>\n</form>\n")
    return Markup("".join(html))


_FAST_INPUTS = {}


def fast_input(widget):
    """The same input widget, writing its attributes with html_params above (WTForms' Input reads the function
    from its class: `html_params = staticmethod(...)`)."""
    cls = type(widget)
    if not isinstance(widget, Input) or cls.html_params is html_params:
        return widget
    fast = _FAST_INPUTS.get(cls)
    if fast is None:
        fast = _FAST_INPUTS[cls] = type(cls.__name__, (cls,), {"html_params": staticmethod(html_params)})
    copy = fast.__new__(fast)
    copy.__dict__.update(widget.__dict__)
    return copy


class AjaxSelectWidget(AjaxSelect2Widget):
    """Flask-Admin's look-up input (AjaxSelect2Widget, the same attributes), its look-up URL built once per view
    and its attributes written by html_params above."""

    _urls = {}

    def __call__(self, field, **kwargs):
        key = (request.blueprint, request.script_root, field.loader.name)
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = get_url(".ajax_lookup", name=field.loader.name)
        kwargs.setdefault("data-role", "select2-ajax")
        kwargs.setdefault("data-url", url)
        if getattr(field, "allow_blank", False) and not self.multiple:
            kwargs["data-allow-blank"] = "1"
        kwargs.setdefault("id", field.id)
        kwargs.setdefault("type", "hidden")
        if self.multiple:
            result = [field.loader.format(value) for value in field.data]
            separator = getattr(field, "separator", ",")
            kwargs["value"] = separator.join(as_unicode(data[0]) for data in result)
            kwargs["data-json"] = json.dumps(result)
            kwargs["data-multiple"] = "1"
            kwargs["data-separator"] = separator
        else:
            data = field.loader.format(field.data)
            if data:
                kwargs["value"] = data[0]
                kwargs["data-json"] = json.dumps(data)
        kwargs.setdefault("data-placeholder", field.loader.options.get("placeholder", gettext("Please select model")))
        kwargs.setdefault("data-minimum-input-length", int(field.loader.options.get("minimum_input_length", 1)))
        kwargs.setdefault("data-separator", ",")
        return Markup(f"<input {html_params(name=field.name, **kwargs)}>")
