from django.db import models
from django_fsm import FSMField, transition


class Article(models.Model):
    state = FSMField(default="draft")
    title = models.CharField(max_length=100)

    @transition(field=state, source="draft", target="published")
    def publish(self):
        pass

    @transition(field=state, source="published", target="draft")
    def unpublish(self):
        pass
