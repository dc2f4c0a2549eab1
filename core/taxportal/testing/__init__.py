"""Test helpers taxportal ships for plugin authors. They need pytest; the app never imports them."""
