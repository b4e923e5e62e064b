# checker-options: fsm
"""GRD601 (fsm mode): save() right after a django-fsm transition; fsm fields guarded."""

from blog.models import Article


def publish(pk):
    article = Article.objects.get(pk=pk)
    article.publish()
    article.save()  # error: GRD601
    article.title = "not a state field"
    article.state = "draft"  # error: GRD101
    setattr(article, "state", "published")  # error: GRD102


def not_right_after(article: Article):
    article.publish()
    log = "something in between"
    article.save()
    other = Article.objects.get(pk=1)
    article.unpublish()
    other.save()
    return log


def plain_method_then_save(article: Article):
    article.refresh_from_db()
    article.save()


async def async_publish(article: Article):
    article.publish()
    await article.asave()  # error: GRD601
