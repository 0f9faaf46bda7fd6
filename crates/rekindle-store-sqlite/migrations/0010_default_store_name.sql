-- The default store's name in the operator's language, unless someone renamed it already.
UPDATE workspaces SET name = '我的门店' WHERE slug = 'default' AND name = 'Default store';
