import json
import sys

from django.core.management.base import BaseCommand

from townsquare.labels.models import LabelCorrection
from townsquare.lookups import organisation_by_slug


class Command(BaseCommand):
    help = "Export label corrections (JSONL: task, text, old and new label, who, when) for the next training run."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="one organisation (default: all)")
        parser.add_argument("--out", help="default: standard output")

    def handle(self, *args, org: str | None, out: str | None, **options):
        corrections = LabelCorrection.objects.select_related("post", "corrected_by", "organisation")
        if org:
            corrections = corrections.filter(organisation=organisation_by_slug(org))
        handle = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
        count = 0
        try:
            for correction in corrections.iterator():
                handle.write(
                    json.dumps(
                        {
                            "organisation": correction.organisation.slug,
                            "network": correction.post.network,
                            "id": correction.post.external_id,
                            "title": correction.post.title,
                            "text": correction.post.text,
                            "task": correction.task,
                            "old_label": correction.old_label,
                            "new_label": correction.new_label,
                            "corrected_by": correction.corrected_by.get_username() if correction.corrected_by else None,
                            "corrected_at": correction.corrected_at.isoformat(),
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                count += 1
        finally:
            if out:
                handle.close()
        self.stderr.write(f"exported {count} corrections")
