
import django.db.models.deletion
import django_guarded
import uuid
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Bank',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=50, unique=True)),
                ('total', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=14)),
                ('cap', models.DecimalField(decimal_places=2, max_digits=14)),
            ],
            options={
                'constraints': [models.CheckConstraint(condition=models.Q(('total__gte', 0), ('total__lte', models.F('cap'))), name='bank_total_within_cap')],
            },
        ),
        migrations.CreateModel(
            name='Account',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('status', django_guarded.FSMField(choices=[('active', 'Active'), ('frozen', 'Frozen'), ('closed', 'Closed')], default='active', max_length=10)),
                ('balance', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=12)),
                ('limit', models.DecimalField(decimal_places=2, max_digits=12)),
                ('created', models.DateTimeField()),
                ('modified', models.DateTimeField()),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='%(class)s', to=settings.AUTH_USER_MODEL)),
                ('bank', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='%(class)ss', to='bank.bank')),
            ],
            options={
                'permissions': [('freeze_account', 'Can freeze and unfreeze accounts')],
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='Card',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('state', django_guarded.FSMField(choices=[('issued', 'Issued'), ('active', 'Active'), ('blocked', 'Blocked'), ('expired', 'Expired')], default='issued', max_length=10)),
                ('expires', models.DateField()),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='cards', to='bank.account')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='OptimisticAccount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('uid', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('status', django_guarded.FSMField(choices=[('active', 'Active'), ('frozen', 'Frozen'), ('closed', 'Closed')], default='active', max_length=10)),
                ('balance', models.DecimalField(decimal_places=2, default=Decimal('0.00'), max_digits=12)),
                ('limit', models.DecimalField(decimal_places=2, max_digits=12)),
                ('created', models.DateTimeField()),
                ('modified', models.DateTimeField()),
                ('version', django_guarded.VersionField()),
                ('bank', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='%(class)ss', to='bank.bank')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='%(class)s', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.AddConstraint(
            model_name='account',
            constraint=models.CheckConstraint(condition=models.Q(('balance__gte', 0), ('balance__lte', models.F('limit'))), name='account_balance_within_limit'),
        ),
        migrations.AddConstraint(
            model_name='optimisticaccount',
            constraint=models.CheckConstraint(condition=models.Q(('balance__gte', 0), ('balance__lte', models.F('limit'))), name='optimisticaccount_balance_within_limit'),
        ),
    ]
