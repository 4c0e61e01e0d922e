from django.conf import settings
from django.db import models

from townsquare.orgs.models import Organisation
from townsquare.posts.models import Post


class LabelCorrection(models.Model):
    """A team member's correction of a model's label: who, when, old and new, for the next training run."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="label_corrections")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="label_corrections")
    task = models.CharField(max_length=20)
    old_label = models.CharField(max_length=20, blank=True)
    new_label = models.CharField(max_length=20)
    corrected_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    corrected_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["corrected_at", "id"]

    def __str__(self) -> str:
        return f"{self.task} of {self.post}: {self.old_label} -> {self.new_label}"
