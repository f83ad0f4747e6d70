<?php
/**
 * Plugin Name:       Parley Chat
 * Plugin URI:        https://github.com/parley-chat/parley
 * Description:       Adds the Parley chat widget to every page of the site, from a settings page (Settings → Parley Chat).
 * Version:           1.0.0
 * Requires at least: 5.0
 * Requires PHP:      7.4
 * Author:            Parley
 * License:           MIT
 * Text Domain:       parley-chat
 *
 * One settings page stores the Parley server URL, the widget's public key (pk_…) or site id, an on/off switch and
 * debug logging; on the public pages the widget's loader is enqueued in the footer as the one-line embed.
 */

defined( 'ABSPATH' ) || exit;

const PARLEY_CHAT_OPTION = 'parley_chat_settings';

/** The stored settings merged over the defaults. */
function parley_chat_settings() {
	$defaults = array(
		'server_url' => '',
		'widget_key' => '',
		'enabled'    => false,
		'debug'      => false,
	);
	$stored = get_option( PARLEY_CHAT_OPTION, array() );
	return array_merge( $defaults, is_array( $stored ) ? $stored : array() );
}

/**
 * Cleans what the settings form sent; a value that is not valid keeps the stored one and shows an error.
 * Runs inside options.php (which has unslashed the input) after WordPress checked the nonce and manage_options.
 */
function parley_chat_sanitize( $input ) {
	$old   = parley_chat_settings();
	$input = is_array( $input ) ? $input : array();
	$out   = array(
		'enabled' => ! empty( $input['enabled'] ),
		'debug'   => ! empty( $input['debug'] ),
	);

	$url = isset( $input['server_url'] ) ? trim( sanitize_text_field( $input['server_url'] ) ) : '';
	$url = untrailingslashit( esc_url_raw( $url, array( 'https', 'http' ) ) );
	if ( '' === $url && ! empty( $input['server_url'] ) ) {
		add_settings_error( PARLEY_CHAT_OPTION, 'server_url', __( 'The server URL must start with https:// (or http://), for example https://chat.example.com.', 'parley-chat' ) );
		$url = $old['server_url'];
	}
	$out['server_url'] = $url;

	// Public keys (pk_…) and site ids hold only letters, digits, "-" and "_".
	$key = isset( $input['widget_key'] ) ? trim( sanitize_text_field( $input['widget_key'] ) ) : '';
	if ( '' !== $key && ! preg_match( '/^[A-Za-z0-9_-]{1,128}$/', $key ) ) {
		add_settings_error( PARLEY_CHAT_OPTION, 'widget_key', __( 'The widget key or site id may hold only letters, digits, "-" and "_": copy it from the Parley control panel (Widgets → your widget → Embed).', 'parley-chat' ) );
		$key = $old['widget_key'];
	}
	$out['widget_key'] = $key;

	if ( $out['enabled'] && ( '' === $out['server_url'] || '' === $out['widget_key'] ) ) {
		add_settings_error( PARLEY_CHAT_OPTION, 'incomplete', __( 'The widget stays off until both the server URL and the widget key are set.', 'parley-chat' ), 'warning' );
	}
	return $out;
}

add_action( 'admin_init', 'parley_chat_register_settings' );
/** Registers the option, its section and fields with the settings API (which adds the nonce to the form). */
function parley_chat_register_settings() {
	register_setting(
		'parley_chat',
		PARLEY_CHAT_OPTION,
		array(
			'type'              => 'array',
			'sanitize_callback' => 'parley_chat_sanitize',
			'show_in_rest'      => false,
		)
	);
	add_settings_section( 'parley_chat_main', __( 'Widget', 'parley-chat' ), 'parley_chat_section_intro', 'parley-chat' );
	$fields = array(
		'server_url' => __( 'Parley server URL', 'parley-chat' ),
		'widget_key' => __( 'Widget public key or site id', 'parley-chat' ),
		'enabled'    => __( 'Show the widget', 'parley-chat' ),
		'debug'      => __( 'Debug logging', 'parley-chat' ),
	);
	foreach ( $fields as $id => $label ) {
		add_settings_field( 'parley_chat_' . $id, $label, 'parley_chat_field', 'parley-chat', 'parley_chat_main',
			array( 'id' => $id, 'label_for' => 'parley_chat_' . $id ) );
	}
}

function parley_chat_section_intro() {
	echo '<p>' . esc_html__( 'Copy the server URL and the public key (or site id) from the Parley control panel: Widgets → your widget → Embed. Add this site\'s domain to the widget\'s allowed domains there.', 'parley-chat' ) . '</p>';
}

/** Prints one field of the form; every value is escaped for its context. */
function parley_chat_field( $args ) {
	$s    = parley_chat_settings();
	$id   = $args['id'];
	$name = PARLEY_CHAT_OPTION . '[' . $id . ']';
	switch ( $id ) {
		case 'server_url':
			printf( '<input type="url" class="regular-text code" id="%s" name="%s" value="%s" placeholder="https://chat.example.com">',
				esc_attr( $args['label_for'] ), esc_attr( $name ), esc_attr( $s['server_url'] ) );
			echo '<p class="description">' . esc_html__( 'Where parleyd runs; the widget loads from /widget/widget.js there.', 'parley-chat' ) . '</p>';
			break;
		case 'widget_key':
			printf( '<input type="text" class="regular-text code" id="%s" name="%s" value="%s" placeholder="pk_…" autocomplete="off" spellcheck="false">',
				esc_attr( $args['label_for'] ), esc_attr( $name ), esc_attr( $s['widget_key'] ) );
			echo '<p class="description">' . esc_html__( 'A public key starts with pk_; anything else is taken as the widget\'s site id.', 'parley-chat' ) . '</p>';
			break;
		default:
			$text = 'enabled' === $id ? __( 'Add the chat widget to every public page', 'parley-chat' )
				: __( 'Log what the widget does to the browser console', 'parley-chat' );
			printf( '<label><input type="checkbox" id="%s" name="%s" value="1" %s> %s</label>',
				esc_attr( $args['label_for'] ), esc_attr( $name ), checked( $s[ $id ], true, false ), esc_html( $text ) );
	}
}

add_action( 'admin_menu', 'parley_chat_menu' );
function parley_chat_menu() {
	add_options_page( __( 'Parley Chat', 'parley-chat' ), __( 'Parley Chat', 'parley-chat' ), 'manage_options', 'parley-chat', 'parley_chat_page' );
}

/** The settings page: options.php saves it (nonce and capability checked by WordPress). */
function parley_chat_page() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	echo '<div class="wrap"><h1>' . esc_html( get_admin_page_title() ) . '</h1>';
	settings_errors( PARLEY_CHAT_OPTION );
	echo '<form action="' . esc_url( admin_url( 'options.php' ) ) . '" method="post">';
	settings_fields( 'parley_chat' );
	do_settings_sections( 'parley-chat' );
	submit_button();
	echo '</form></div>';
}

add_filter( 'plugin_action_links_' . plugin_basename( __FILE__ ), 'parley_chat_action_links' );
function parley_chat_action_links( $links ) {
	array_unshift( $links, '<a href="' . esc_url( admin_url( 'options-general.php?page=parley-chat' ) ) . '">' . esc_html__( 'Settings', 'parley-chat' ) . '</a>' );
	return $links;
}

add_action( 'wp_enqueue_scripts', 'parley_chat_enqueue' );
/**
 * On public pages, when switched on and complete: the loader in the footer. A public key becomes
 * data-key="pk_…" (see parley_chat_script_tag); a site id becomes ChatWidget.setup({siteId}) right after it.
 */
function parley_chat_enqueue() {
	$s = parley_chat_settings();
	if ( ! $s['enabled'] || '' === $s['server_url'] || '' === $s['widget_key'] ) {
		return;
	}
	$src = $s['server_url'] . '/widget/widget.js';
	// No ?ver=: the server revalidates the loader by ETag, and its URL stays the one the docs show.
	wp_enqueue_script( 'parley-chat', $src, array(), null, true );
	if ( 0 !== strpos( $s['widget_key'], 'pk_' ) ) {
		$setup = array( 'siteId' => $s['widget_key'] );
		if ( $s['debug'] ) {
			$setup['debug'] = true;
		}
		wp_add_inline_script( 'parley-chat', 'ChatWidget.setup(' . wp_json_encode( $setup ) . ');' );
	}
}

add_filter( 'script_loader_tag', 'parley_chat_script_tag', 10, 3 );
/** The public-key form of the one-line embed: <script src="…/widget.js" data-key="pk_…" async>. */
function parley_chat_script_tag( $tag, $handle, $src ) {
	$s = parley_chat_settings();
	if ( 'parley-chat' !== $handle || 0 !== strpos( $s['widget_key'], 'pk_' ) ) {
		return $tag;
	}
	return sprintf( "<script src=\"%s\" data-key=\"%s\"%s async></script>\n",
		esc_url( $src ), esc_attr( $s['widget_key'] ), $s['debug'] ? ' data-debug' : '' );
}
