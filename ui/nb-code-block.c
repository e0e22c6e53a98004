/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "nb-code-block"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

#include "nb-code-block.h"
#include "nb-scroll-passthrough.h"

/* A fenced code block of a reply: a header with the language and a Copy
 * button over a read-only GtkSourceView that scrolls sideways only (the
 * chat scrolls vertically). While a reply streams, new code is appended to
 * the buffer, never set anew. */

#define COPIED_SECONDS 2

struct _NbCodeBlock
{
  GtkWidget parent_instance;

  GtkWidget *header;
  GtkLabel *language_label;
  GtkButton *copy_button;
  GtkWidget *scroller;
  GtkSourceView *view;

  GtkSourceBuffer *buffer;
  char *language;
  GString *code;       /* as given; the buffer has it without the last newline */
  guint copied_id;
};

G_DEFINE_FINAL_TYPE (NbCodeBlock, nb_code_block, GTK_TYPE_WIDGET)

/* Fence names that are not GtkSourceView language ids (JavaScript's is "js"). */
static const struct {
  const char *alias;
  const char *id;
} language_aliases[] = {
  { "javascript", "js" }, { "mjs", "js" }, { "cjs", "js" }, { "node", "js" },
  { "ts", "typescript" }, { "tsx", "typescript-jsx" },
  { "py", "python3" }, { "python", "python3" }, { "py3", "python3" }, { "python2", "python" },
  { "sh", "sh" }, { "bash", "sh" }, { "shell", "sh" }, { "zsh", "sh" }, { "console", "sh" },
  { "shellsession", "sh" }, { "ksh", "sh" },
  { "h", "c" }, { "c++", "cpp" }, { "cxx", "cpp" }, { "cc", "cpp" }, { "hpp", "cpp" },
  { "rs", "rust" }, { "golang", "go" }, { "jsonc", "json" }, { "json5", "json" },
  { "yml", "yaml" }, { "svg", "xml" }, { "xhtml", "html" }, { "htm", "html" },
  { "patch", "diff" }, { "udiff", "diff" }, { "rb", "ruby" }, { "kt", "kotlin" },
  { "cs", "c-sharp" }, { "csharp", "c-sharp" }, { "c#", "c-sharp" }, { "f#", "fsharp" },
  { "make", "makefile" }, { "mk", "makefile" }, { "dockerfile", "docker" },
  { "md", "markdown" }, { "tex", "latex" }, { "ps1", "powershell" }, { "pwsh", "powershell" },
  { "objective-c", "objc" }, { "hs", "haskell" }, { "pl", "perl" }, { "jl", "julia" }, { "text", NULL }, { "txt", NULL }, { "plain", NULL }, { "plaintext", NULL },
};

/**
 * nb_code_block_lookup_language:
 * @name: a fence's language, as written after ```
 *
 * Returns: (transfer none) (nullable): the GtkSourceView language for it:
 * by id, by a common alias (js, py, sh, …) or as a file extension.
 */
GtkSourceLanguage *
nb_code_block_lookup_language (const char *name)
{
  GtkSourceLanguageManager *manager;
  g_autofree char *lower = NULL;
  g_autofree char *filename = NULL;
  GtkSourceLanguage *language;

  if (name == NULL || *name == '\0')
    return NULL;

  gtk_source_init ();
  manager = gtk_source_language_manager_get_default ();
  lower = g_ascii_strdown (name, -1);

  for (gsize i = 0; i < G_N_ELEMENTS (language_aliases); i++)
    if (g_str_equal (lower, language_aliases[i].alias))
      return language_aliases[i].id != NULL
             ? gtk_source_language_manager_get_language (manager, language_aliases[i].id)
             : NULL;

  language = gtk_source_language_manager_get_language (manager, lower);
  if (language != NULL)
    return language;

  filename = g_strconcat ("file.", lower, NULL);
  return gtk_source_language_manager_guess_language (manager, filename, NULL);
}

static void
update_style_scheme (NbCodeBlock *self)
{
  gboolean dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GtkSourceStyleSchemeManager *schemes = gtk_source_style_scheme_manager_get_default ();

  gtk_source_buffer_set_style_scheme (self->buffer,
                                      gtk_source_style_scheme_manager_get_scheme (schemes, dark ? "Adwaita-dark" : "Adwaita"));
}

static gboolean
end_copied (gpointer user_data)
{
  NbCodeBlock *self = user_data;

  self->copied_id = 0;
  gtk_button_set_icon_name (self->copy_button, "edit-copy-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->copy_button), _("Copy"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->copy_button), "success");
  return G_SOURCE_REMOVE;
}

/**
 * nb_code_block_copy:
 *
 * Puts the code on the clipboard and shows "Copied" on the button for a
 * moment.
 */
void
nb_code_block_copy (NbCodeBlock *self)
{
  g_return_if_fail (NB_IS_CODE_BLOCK (self));

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->code->str);

  gtk_button_set_icon_name (self->copy_button, "object-select-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->copy_button), _("Copied"));
  gtk_widget_add_css_class (GTK_WIDGET (self->copy_button), "success");
  g_clear_handle_id (&self->copied_id, g_source_remove);
  self->copied_id = g_timeout_add_seconds (COPIED_SECONDS, end_copied, self);
}

static void
nb_code_block_dispose (GObject *object)
{
  NbCodeBlock *self = NB_CODE_BLOCK (object);

  g_clear_handle_id (&self->copied_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), NB_TYPE_CODE_BLOCK);

  G_OBJECT_CLASS (nb_code_block_parent_class)->dispose (object);
}

static void
nb_code_block_finalize (GObject *object)
{
  NbCodeBlock *self = NB_CODE_BLOCK (object);

  g_free (self->language);
  g_string_free (self->code, TRUE);

  G_OBJECT_CLASS (nb_code_block_parent_class)->finalize (object);
}

static void
nb_code_block_class_init (NbCodeBlockClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = nb_code_block_dispose;
  object_class->finalize = nb_code_block_finalize;

  gtk_source_init ();
  g_type_ensure (GTK_SOURCE_TYPE_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/nanobot/Nanobot/nb-code-block.ui");
  gtk_widget_class_bind_template_child (widget_class, NbCodeBlock, header);
  gtk_widget_class_bind_template_child (widget_class, NbCodeBlock, language_label);
  gtk_widget_class_bind_template_child (widget_class, NbCodeBlock, copy_button);
  gtk_widget_class_bind_template_child (widget_class, NbCodeBlock, scroller);
  gtk_widget_class_bind_template_child (widget_class, NbCodeBlock, view);
  gtk_widget_class_bind_template_callback (widget_class, nb_code_block_copy);

  gtk_widget_class_set_css_name (widget_class, "nb-code-block");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
nb_code_block_init (NbCodeBlock *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  nb_scroll_passthrough_vertical (GTK_SCROLLED_WINDOW (self->scroller));
  self->code = g_string_new (NULL);
  self->buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->view)));
  gtk_source_buffer_set_highlight_matching_brackets (self->buffer, FALSE);
  update_style_scheme (self);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_style_scheme), self, G_CONNECT_SWAPPED);
}

GtkWidget *
nb_code_block_new (const char *language)
{
  NbCodeBlock *self = g_object_new (NB_TYPE_CODE_BLOCK, NULL);

  self->language = g_strdup (language);
  gtk_label_set_text (self->language_label, language != NULL ? language : "");
  gtk_source_buffer_set_language (self->buffer, nb_code_block_lookup_language (language));
  return GTK_WIDGET (self);
}

const char *
nb_code_block_get_language (NbCodeBlock *self)
{
  g_return_val_if_fail (NB_IS_CODE_BLOCK (self), NULL);
  return self->language;
}

/* The text shown: the code without its last newline. */
static gsize
shown_length (const char *code,
              gsize       len)
{
  return len > 0 && code[len - 1] == '\n' ? len - 1 : len;
}

/**
 * nb_code_block_set_code:
 *
 * Shows @code. Only what differs from the code before is changed in the
 * buffer: while a block streams, that is an insertion at the end.
 */
void
nb_code_block_set_code (NbCodeBlock *self,
                        const char  *code)
{
  GtkTextBuffer *buffer;
  gsize old_len, new_len, common = 0;
  GtkTextIter start, end;

  g_return_if_fail (NB_IS_CODE_BLOCK (self));

  code = code != NULL ? code : "";
  buffer = GTK_TEXT_BUFFER (self->buffer);
  old_len = shown_length (self->code->str, self->code->len);
  new_len = shown_length (code, strlen (code));

  while (common < old_len && common < new_len && self->code->str[common] == code[common])
    common++;
  /* Back to a character boundary. */
  while (common > 0 && (code[common] & 0xC0) == 0x80)
    common--;

  if (common < old_len)
    {
      gtk_text_buffer_get_iter_at_offset (buffer, &start,
                                          (int) g_utf8_pointer_to_offset (self->code->str, self->code->str + common));
      gtk_text_buffer_get_end_iter (buffer, &end);
      gtk_text_buffer_delete (buffer, &start, &end);
    }
  if (common < new_len)
    {
      gtk_text_buffer_get_end_iter (buffer, &end);
      gtk_text_buffer_insert (buffer, &end, code + common, (int) (new_len - common));
    }

  g_string_assign (self->code, code);
}

/* The code as given, with its last newline. */
const char *
nb_code_block_get_code (NbCodeBlock *self)
{
  g_return_val_if_fail (NB_IS_CODE_BLOCK (self), NULL);
  return self->code->str;
}

/* Returns: (transfer none) */
GtkSourceBuffer *
nb_code_block_get_buffer (NbCodeBlock *self)
{
  g_return_val_if_fail (NB_IS_CODE_BLOCK (self), NULL);
  return self->buffer;
}
