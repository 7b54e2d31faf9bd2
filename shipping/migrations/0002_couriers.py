from django.db import migrations


def load_couriers(apps, schema_editor):
    from shipping.couriers_data import load

    load(apps.get_model("shipping", "Courier"), apps.get_model("shipping", "CourierService"))


class Migration(migrations.Migration):
    dependencies = [("shipping", "0001_initial")]

    operations = [migrations.RunPython(load_couriers, migrations.RunPython.noop)]
