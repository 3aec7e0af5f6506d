from django.contrib import admin

from .models import ChainLink, Industry


class ChainLinkInline(admin.TabularInline):
    model = ChainLink
    extra = 1
    fields = ("stage", "order", "code", "name", "name_en")


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "code", "order")
    search_fields = ("name", "name_en", "code")
    inlines = [ChainLinkInline]
