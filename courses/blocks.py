"""The blocks a module's body is made of. Each renders accessibly from its own template."""

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageBlock

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class FigureBlock(blocks.StructBlock):
    # Wagtail's ImageBlock asks for alt text unless the editor marks the image decorative.
    image = ImageBlock()
    caption = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "image"
        template = "courses/blocks/figure.html"


class VideoBlock(blocks.StructBlock):
    title = blocks.CharBlock(
        max_length=200, help_text="Says what the video is, for screen readers."
    )
    video = EmbedBlock(help_text="A YouTube or Vimeo link.")
    transcript = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES,
        help_text="Required: everything said and shown, for people who cannot watch or hear it.",
    )

    class Meta:
        icon = "media"
        template = "courses/blocks/video.html"


class DocumentBlock(blocks.StructBlock):
    document = DocumentChooserBlock()
    description = blocks.CharBlock(required=False, max_length=250)

    class Meta:
        icon = "doc-full"
        template = "courses/blocks/document.html"


class CalloutBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        choices=[
            ("tip", "Tip"),
            ("important", "Important"),
            ("story", "Lived-experience story"),
        ],
        default="tip",
    )
    heading = blocks.CharBlock(required=False, max_length=120)
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "help"
        template = "courses/blocks/callout.html"


class ReflectionPromptBlock(blocks.StructBlock):
    prompt = blocks.TextBlock(help_text="The question the peer reflects on.")
    guidance = blocks.TextBlock(required=False, help_text="Optional hints for what to write.")

    class Meta:
        icon = "edit"
        template = "courses/blocks/reflection_prompt.html"


class AnswerBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=300)
    correct = blocks.BooleanBlock(required=False)
    feedback = blocks.TextBlock(required=False, help_text="Shown after the peer answers.")

    class Meta:
        icon = "tick"


class QuestionBlock(blocks.StructBlock):
    question = blocks.TextBlock()
    kind = blocks.ChoiceBlock(
        choices=[("single", "Choose one answer"), ("multiple", "Choose all that apply")],
        default="single",
    )
    answers = blocks.ListBlock(AnswerBlock(), min_num=2)

    class Meta:
        icon = "help"

    def clean(self, value):
        value = super().clean(value)
        correct = sum(1 for answer in value["answers"] if answer["correct"])
        if correct == 0:
            raise ValidationError("Mark at least one answer as correct.")
        if value["kind"] == "single" and correct != 1:
            raise ValidationError("A 'choose one' question needs exactly one correct answer.")
        return value


class KnowledgeCheckBlock(blocks.StructBlock):
    title = blocks.CharBlock(default="Check your understanding", max_length=120)
    questions = blocks.ListBlock(QuestionBlock(), min_num=1)

    class Meta:
        icon = "list-ul"
        template = "courses/blocks/knowledge_check.html"


class ModuleBodyBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, icon="pilcrow")
    figure = FigureBlock()
    video = VideoBlock()
    document = DocumentBlock()
    callout = CalloutBlock()
    reflection_prompt = ReflectionPromptBlock()
    knowledge_check = KnowledgeCheckBlock()
